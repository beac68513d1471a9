module github.com/rsguard/rsguard/adapters/connectguard

go 1.25.0

require github.com/rsguard/rsguard v0.1.0

require (
	connectrpc.com/connect v1.21.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
