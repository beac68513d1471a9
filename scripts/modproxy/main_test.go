package main

import (
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

func mod(t *testing.T, dir, text string) repoModule {
	t.Helper()
	f, err := modfile.Parse(dir+"/go.mod", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	top, _, _ := strings.Cut(dir, "/")
	return repoModule{Path: f.Module.Mod.Path, Dir: dir, File: f, Published: dir == "." || top == "adapters" || top == "stores"}
}

func TestReleaseVersion(t *testing.T) {
	root := "module github.com/rsguard/rsguard\n"
	echo := "module github.com/rsguard/rsguard/adapters/echoguard\nrequire github.com/rsguard/rsguard v0.1.0\n"
	redis := "module github.com/rsguard/rsguard/stores/redisstore\nrequire github.com/rsguard/rsguard v0.1.0\n"
	for _, tt := range []struct {
		name    string
		mods    map[string]string
		want    string
		wantErr string
	}{
		{"agree", map[string]string{".": root, "adapters/echoguard": echo, "stores/redisstore": redis}, "v0.1.0", ""},
		{"disagree", map[string]string{".": root, "adapters/echoguard": echo,
			"stores/redisstore": "module github.com/rsguard/rsguard/stores/redisstore\nrequire github.com/rsguard/rsguard v0.0.0\n"}, "", "every module requires the release version"},
		{"published_replace", map[string]string{".": root, "adapters/echoguard": echo + "replace github.com/rsguard/rsguard => ../..\n"}, "", "with no replace"},
		{"dev_replace_ignored", map[string]string{".": root, "adapters/echoguard": echo,
			"bench": "module github.com/rsguard/rsguard/bench\nrequire github.com/rsguard/rsguard v0.0.0\nreplace github.com/rsguard/rsguard => ../\n"}, "v0.1.0", ""},
		{"nothing_requires_root", map[string]string{".": root}, "", "cannot tell the release version"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mods []repoModule
			for dir, text := range tt.mods {
				mods = append(mods, mod(t, dir, text))
			}
			got, err := releaseVersion(mods)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("releaseVersion = %q, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("releaseVersion = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
