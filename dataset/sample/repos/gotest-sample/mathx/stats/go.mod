module github.com/gotest-sample/mathx/stats

go 1.22
