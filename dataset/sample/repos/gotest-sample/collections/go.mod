module github.com/gotest-sample/collections

go 1.22
