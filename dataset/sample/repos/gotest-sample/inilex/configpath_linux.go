//go:build linux

package inilex

import (
	"os"
	"path/filepath"
)

// UserConfigPath returns where the INI file of application app lives for the
// current user: $XDG_CONFIG_HOME/app/app.ini, falling back to ~/.config.
func UserConfigPath(app string) string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		dir = filepath.Join(os.Getenv("HOME"), ".config")
	}
	return filepath.Join(dir, app, app+".ini")
}
