# Perdura's everyday tasks. `make help` lists them.
.PHONY: help build test lint fuzz bench ci schema

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build the static perdura binary
	CGO_ENABLED=0 go build -o perdura ./cmd/perdura

test: ## run every test
	go test ./...

lint: ## gofmt, go vet and staticcheck, as CI runs them
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz: ## fuzz the model loader for 10 minutes
	go test -run '^$$' -fuzz FuzzLoad -fuzztime 10m ./internal/model/

bench: ## the analysis benchmarks against PostgreSQL and igraph (docs/benchmarks.md)
	scripts/bench-analysis.sh

schema: ## regenerate schema/perdura-v1.json from the model's Go types
	go test ./schema -run TestSchemaUpToDate -update

ci: ## what CI runs
	bash .ci/run
