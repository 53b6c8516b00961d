module github.com/recsim/recsim

go 1.26.8

require (
	github.com/go-audio/audio v1.0.0
	github.com/go-audio/wav v1.1.0
	github.com/stretchr/testify v1.12.1
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/go-audio/riff v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
