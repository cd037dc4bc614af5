package lib

// WindowsOnly is excluded from the build on other systems.
func WindowsOnly() {}
