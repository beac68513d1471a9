package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// serve writes m at version into the proxy under out, and returns the
// go.sum lines of the module and of its go.mod.
func serve(repo, out string, m repoModule, version string, files []string) (string, error) {
	escaped, err := module.EscapePath(m.Path)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	gomod, err := os.ReadFile(filepath.Join(repo, m.Dir, "go.mod"))
	if err != nil {
		return "", err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    string
	}{version, stamp.Format("2006-01-02T15:04:05Z")})
	if err != nil {
		return "", err
	}
	zipPath := filepath.Join(dir, version+".zip")
	if err := writeZip(zipPath, repo, m, version, files); err != nil {
		return "", err
	}
	for name, data := range map[string][]byte{
		"list": []byte(version + "\n"), version + ".info": info, version + ".mod": gomod,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	zipSum, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return "", err
	}
	modSum, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gomod)), nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", m.Path, version, zipSum, m.Path, version, modSum), nil
}

// writeZip writes the module zip of m (https://go.dev/ref/mod#zip-files)
// from the listed files under its directory. modzip.Create leaves out the
// files of nested modules, vendor directories and irregular files, and
// checks the rest against the zip rules (file names, sizes, case-folding
// collisions).
func writeZip(zipPath, repo string, m repoModule, version string, files []string) error {
	prefix := ""
	if m.Dir != "." {
		prefix = m.Dir + "/"
	}
	var zfiles []modzip.File
	for _, f := range files {
		if strings.HasPrefix(f, prefix) {
			zfiles = append(zfiles, zipFile{rel: strings.TrimPrefix(f, prefix), abs: filepath.Join(repo, filepath.FromSlash(f))})
		}
	}
	w, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	err = modzip.Create(w, module.Version{Path: m.Path, Version: version}, zfiles)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// zipFile is a file of the working tree, for modzip.Create.
type zipFile struct{ rel, abs string }

func (f zipFile) Path() string                 { return f.rel }
func (f zipFile) Lstat() (os.FileInfo, error)  { return os.Lstat(f.abs) }
func (f zipFile) Open() (io.ReadCloser, error) { return os.Open(f.abs) }
