module github.com/gotest-sample/semver

go 1.22
