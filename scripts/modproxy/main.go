// Command modproxy serves the modules of the rsguard repository, as they are
// in the working tree, at the release version, in the layout of a
// file-system GOPROXY (https://go.dev/ref/mod#goproxy-protocol):
//
//	<out>/<module>/@v/list
//	<out>/<module>/@v/<version>.info
//	<out>/<module>/@v/<version>.mod
//	<out>/<module>/@v/<version>.zip
//
// It lets the repository's scripts build every nested module against the
// working-tree root with no replace directive and no workspace, as a user's
// build would (scripts/test.sh), and build a consumer program from the
// modules as a user installs them (scripts/consumer-test.sh).
//
// The release version is the one every published module requires of the
// repository's other modules (the root, github.com/rsguard/rsguard vX.Y.Z);
// modproxy fails if they disagree, if a published module replaces an
// rsguard module, or if CHANGELOG.md has no entry for the version. Published
// modules are the root and every module under adapters/ and stores/; the
// others (bench, interop, scripts) are development tools, which may replace
// rsguard modules by the working tree.
//
// Besides the proxy, modproxy writes <out>/go.sum.rsguard (the go.sum lines
// of every module at the release version, so that a module's build verifies
// them without the checksum database) and <out>/modules.txt (one line per
// module: path, directory, "published" or "dev"), and prints the version.
//
// Usage: go run ./scripts/modproxy -repo <repository root> -out <dir>
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// root is the module path of the repository's root module; every module of
// the repository has it as a prefix.
const root = "github.com/rsguard/rsguard"

// repoModule is one go.mod of the repository.
type repoModule struct {
	Path      string // module path
	Dir       string // directory, relative to the repository root ("." for the root)
	Published bool   // a user may import it: the root, adapters/*, stores/*
	File      *modfile.File
}

func main() {
	repo := flag.String("repo", ".", "repository root")
	out := flag.String("out", "", "directory to write the proxy into (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "modproxy: -out is required")
		os.Exit(2)
	}
	version, err := run(*repo, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
	fmt.Println(version)
}

func run(repo, out string) (string, error) {
	files, err := repoFiles(repo)
	if err != nil {
		return "", err
	}
	mods, err := modules(repo, files)
	if err != nil {
		return "", err
	}
	version, err := releaseVersion(mods)
	if err != nil {
		return "", err
	}
	if err := checkChangelog(repo, version); err != nil {
		return "", err
	}
	var sums, list bytes.Buffer
	for _, m := range mods {
		sum, err := serve(repo, out, m, version, files)
		if err != nil {
			return "", fmt.Errorf("%s: %w", m.Path, err)
		}
		sums.WriteString(sum)
		kind := "dev"
		if m.Published {
			kind = "published"
		}
		fmt.Fprintf(&list, "%s %s %s\n", m.Path, m.Dir, kind)
	}
	if err := os.WriteFile(filepath.Join(out, "go.sum.rsguard"), sums.Bytes(), 0o644); err != nil {
		return "", err
	}
	return version, os.WriteFile(filepath.Join(out, "modules.txt"), list.Bytes(), 0o644)
}

// repoFiles lists the files of the working tree that git does not ignore,
// tracked or not, relative to repo and slash-separated.
func repoFiles(repo string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %v: %s", err, stderr.Bytes())
	}
	var files []string
	for _, f := range strings.Split(string(b), "\x00") {
		// Deleted but still tracked files are listed; skip them.
		if _, err := os.Lstat(filepath.Join(repo, f)); f != "" && err == nil {
			files = append(files, f)
		}
	}
	return files, nil
}

// modules parses every go.mod of files outside testdata directories.
func modules(repo string, files []string) ([]repoModule, error) {
	var mods []repoModule
	for _, f := range files {
		if path.Base(f) != "go.mod" || strings.Contains("/"+f, "/testdata/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			return nil, err
		}
		mf, err := modfile.Parse(f, data, nil)
		if err != nil {
			return nil, err
		}
		dir := path.Dir(f)
		want := root
		if dir != "." {
			want = root + "/" + dir
		}
		if mf.Module == nil || mf.Module.Mod.Path != want {
			return nil, fmt.Errorf("%s: module path must be %s", f, want)
		}
		top, _, _ := strings.Cut(dir, "/")
		mods = append(mods, repoModule{Path: want, Dir: dir, File: mf,
			Published: dir == "." || top == "adapters" || top == "stores"})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

// releaseVersion returns the version at which the published modules require
// the repository's modules, which must be one and the same, and checks that
// no published module replaces a module of the repository.
func releaseVersion(mods []repoModule) (string, error) {
	var version, first string
	var errs []error
	for _, m := range mods {
		replaced := map[string]bool{}
		for _, r := range m.File.Replace {
			if isRepo(r.Old.Path) {
				if m.Published {
					errs = append(errs, fmt.Errorf("%s/go.mod replaces %s: a published module requires the release version, with no replace (fix: cd %s && go mod edit -dropreplace=%s; scripts/work.sh gives a workspace for development)", m.Dir, r.Old.Path, m.Dir, r.Old.Path))
				}
				replaced[r.Old.Path] = true
			}
		}
		for _, r := range m.File.Require {
			if !isRepo(r.Mod.Path) || replaced[r.Mod.Path] {
				continue
			}
			switch {
			case version == "":
				version, first = r.Mod.Version, m.Dir
			case r.Mod.Version != version:
				errs = append(errs, fmt.Errorf("%s/go.mod requires %s %s, but %s/go.mod requires %s: every module requires the release version (fix: cd %s && go mod edit -require=%s@%s)", m.Dir, r.Mod.Path, r.Mod.Version, first, version, m.Dir, r.Mod.Path, version))
			}
		}
	}
	if version == "" && len(errs) == 0 {
		errs = append(errs, errors.New("no module requires the root module: cannot tell the release version"))
	}
	return version, errors.Join(errs...)
}

func isRepo(modPath string) bool { return modPath == root || strings.HasPrefix(modPath, root+"/") }

// checkChangelog checks that CHANGELOG.md has a section for version.
func checkChangelog(repo, version string) error {
	f, err := os.Open(filepath.Join(repo, "CHANGELOG.md"))
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "##" && fields[1] == version {
			return nil
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	return fmt.Errorf("CHANGELOG.md has no \"## %s\" section for the release version", version)
}

// stamp is the time the .info files give; a fixed one keeps the layout
// reproducible.
var stamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
