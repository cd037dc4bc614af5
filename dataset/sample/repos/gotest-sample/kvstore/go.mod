module github.com/gotest-sample/kvstore

go 1.22
