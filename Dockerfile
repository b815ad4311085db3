# syntax=docker/dockerfile:1
#
# authd container image.
#
#   docker build -t authd .
#   docker run -p 8080:8080 -v authd-data:/var/lib/authd authd
#
# With no configuration the service runs on its embedded defaults under
# /var/lib/authd (SQLite, signing key, .eml outbox): mount a volume there, or
# set DATABASE_URL, REDIS_URL, AUTH_SMTP_URL, ... (see README.md).

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src
# The image already has what the build needs: a C compiler (bundled SQLite and
# libpq), pkg-config and libssl-dev (libpq links OpenSSL).
COPY . .
# BuildKit cache mounts keep the crates.io registry and target/ between
# builds, so a code change does not recompile every dependency. Migrations
# and mail templates are compiled into the binary.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && cp target/release/authd /usr/local/bin/authd

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: TLS to PostgreSQL and friends; libssl3: libpq links OpenSSL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 authd \
 && useradd --system --uid 10001 --gid authd --home-dir /var/lib/authd \
        --shell /usr/sbin/nologin authd \
 && install -d -o authd -g authd -m 0750 /var/lib/authd
COPY --from=builder /usr/local/bin/authd /usr/local/bin/authd

WORKDIR /var/lib/authd
USER 10001:10001
ENV AUTH_BIND=0.0.0.0:8080
# glibc gives each thread that allocates an arena of its own; authd's ~20
# threads (workers, database and bcrypt threads) then hold ~6 MB more than two
# arenas do, for no measurable speed (README "Memory bounds").
ENV MALLOC_ARENA_MAX=2
EXPOSE 8080

# Liveness through /healthz without curl: bash (always in Debian) opens a TCP
# connection with /dev/tcp, sends a plain HTTP/1.0 request and checks the
# status code. The port follows AUTH_BIND.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/"${AUTH_BIND##*:}" && printf "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]'

ENTRYPOINT ["/usr/local/bin/authd"]
CMD ["serve"]
