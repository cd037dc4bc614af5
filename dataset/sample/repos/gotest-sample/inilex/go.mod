module github.com/gotest-sample/inilex

go 1.22
