package inilex

import (
	"os"
	"path/filepath"
)

// UserConfigPath returns where the INI file of application app lives for the
// current user: %APPDATA%\app\app.ini.
func UserConfigPath(app string) string {
	return filepath.Join(os.Getenv("APPDATA"), app, app+".ini")
}
