module github.com/gotest-sample/mathx

go 1.22
