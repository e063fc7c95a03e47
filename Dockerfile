# kura's container image.
#
#   docker build -t kura:$(build/kura version | cut -d' ' -f2) .
#
# The build stage compiles kura on Debian 12 and runs scripts/build-rootfs,
# which copies out the runtime set: the kura binary, the git it spawns, every
# shared library they load and the CA certificates. The runtime stage is that
# directory and nothing else: no shell, no package manager, no compiler. The
# same script builds the same root for tests/e2e/test_rootfs.py, which runs
# kura from it (docs/deploy.md).

FROM debian:12-slim AS build

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
	&& apt-get install -y --no-install-recommends \
		build-essential pkg-config meson ninja-build \
		git bzip2 ca-certificates openssl \
		libmicrohttpd-dev libgit2-dev libsqlite3-dev libpq-dev libjansson-dev \
		libsodium-dev libcurl4-openssl-dev libinih-dev zlib1g-dev \
		libcmark-gfm-dev libcmark-gfm-extensions-dev \
	&& rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src
RUN meson setup build --buildtype=release -Dwerror=true \
	&& ninja -C build kura \
	&& bash scripts/build-rootfs --binary build/kura /rootfs

FROM scratch

COPY --from=build /rootfs/ /

# uid and gid 10001 (kura in the image's /etc/passwd): the EFS access point
# and any volume's owner use the same numbers.
USER 10001:10001
ENV KURA_LISTEN=0.0.0.0:8080 \
	KURA_DATA_DIR=/data
VOLUME /data
EXPOSE 8080

# kura finishes in-flight requests within 25 s of SIGTERM; ECS waits 30 s
# (stopTimeout) before SIGKILL. kura is ready within a second of starting
# (after migrations), so no start period: three misses at 15 s are 45 s.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=6s --retries=3 \
	CMD ["/usr/local/bin/kura", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/kura"]
CMD ["serve"]
