package scopes_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"a", []string{"a"}, false},
		{"openid profile email", []string{"openid", "profile", "email"}, false},
		{"b a b a", []string{"b", "a"}, false},
		{"orders:read https://api.example.com/x!#$%&'()*+,-./:;<=>?@[]^_`{|}~", []string{"orders:read", "https://api.example.com/x!#$%&'()*+,-./:;<=>?@[]^_`{|}~"}, false},
		{"Read read", []string{"Read", "read"}, false},
		{" a", nil, true},
		{"a ", nil, true},
		{"a  b", nil, true},
		{" ", nil, true},
		{"a\tb", nil, true},
		{"a\nb", nil, true},
		{"quo\"te", nil, true},
		{"back\\slash", nil, true},
		{"caf\u00e9", nil, true},
		{"nul\x00", nil, true},
		{"del\x7f", nil, true},
	}
	for _, tt := range tests {
		got, err := scopes.Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, scopes.ErrSyntax) {
				t.Errorf("Parse(%q) = %v, want ErrSyntax", tt.in, err)
			}
			continue
		}
		if !slices.Equal(got.List(), tt.want) || got.Len() != len(tt.want) {
			t.Errorf("Parse(%q) = %q (len %d), want %q", tt.in, got.List(), got.Len(), tt.want)
		}
		for _, s := range tt.want {
			if !got.Has(s) {
				t.Errorf("Parse(%q).Has(%q) = false, want true", tt.in, s)
			}
		}
	}
}

func TestSetZeroValue(t *testing.T) {
	var s scopes.Set
	if s.Len() != 0 || s.Has("") || s.Has("a") || s.String() != "" || len(s.List()) != 0 {
		t.Errorf("zero Set = {len %d, %q}, want empty", s.Len(), s.String())
	}
}

func TestNew(t *testing.T) {
	s, err := scopes.New("a", "b", "a")
	if err != nil || s.String() != "a b" {
		t.Errorf("New(a, b, a) = %q, %v, want \"a b\", nil", s.String(), err)
	}
	if _, err := scopes.New("a b"); !errors.Is(err, scopes.ErrSyntax) {
		t.Errorf("New(%q) = %v, want ErrSyntax", "a b", err)
	}
}
