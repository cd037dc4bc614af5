module github.com/gotest-sample/lrucache

go 1.22
