// Package deploy holds figcheck's Kubernetes manifests (kubectl apply -k
// deploy/) and the tests that check them, the Dockerfile and the static
// binary it builds without a container engine. It has no code of its own.
package deploy
