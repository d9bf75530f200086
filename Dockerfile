# syntax=docker/dockerfile:1
# figcheck: a static binary on distroless, running as a non-root user.
#
#   docker build -t figcheck .
#   docker run -p 8080:8080 figcheck
#   docker run -p 8080:8080 -v "$PWD/my-forms:/etc/figcheck/forms:ro" figcheck
#
# The shipped forms are baked in at /etc/figcheck/forms (and embedded in
# the binary); a volume mounted there replaces them, and --watch reloads
# them when they change. deploy/deploy_test.go checks this file and builds
# the same binary with the same command.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/figcheck ./cmd/figcheck
RUN mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/figcheck /usr/local/bin/figcheck
COPY --from=build /src/configs/forms /etc/figcheck/forms
# figcheck's own files (the decision log with the file sink, the receipt
# development key): mount a volume here to keep them.
COPY --from=build --chown=65532:65532 /out/state /var/lib/figcheck
ENV FIGCHECK_ADDR=:8080 \
    FIGCHECK_RULES=/etc/figcheck/forms \
    XDG_STATE_HOME=/var/lib/figcheck
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/figcheck", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/figcheck"]
CMD ["serve", "--watch"]
