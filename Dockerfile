# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=$(git describe --tags --always) -t bootinfo .
# The build stage runs scripts/build, the same recipe as a build without Docker.

FROM golang:1.26.10-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=unknown
ARG REVISION=unknown
ARG BRANCH=unknown
RUN VERSION=$VERSION REVISION=$REVISION BRANCH=$BRANCH BUILD_USER=docker \
    scripts/build /out/bootinfo

# The agent is one static binary and makes no outgoing TLS connections, so the
# final image is empty but for it: no shell, no package manager, no CA bundle.
FROM scratch
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="bootinfo" \
      org.opencontainers.image.description="How Linux hosts booted and what hardware they booted on, as Prometheus metrics and JSON" \
      org.opencontainers.image.source="https://github.com/bootinfo/bootinfo" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION"
COPY --from=build /out/bootinfo /bin/bootinfo
# nobody: the DaemonSet and the systemd unit grant what each source needs.
USER 65534:65534
EXPOSE 19117
ENTRYPOINT ["/bin/bootinfo"]
CMD ["serve"]
