# The vaksin image: every production program (what `cmake --install` installs), on Debian 12 as
# in development. compose/docker-compose.yml runs it; tests/packaging_check.py checks, without
# Docker, that the runtime stage installs every library the programs link and that the paths
# copied below are what `cmake --install` produces.
#
#   docker build -t vaksin:0.1.0 .
#
# Build: a Release build of the installed programs only (VK_DEV=OFF: no tests, development
# servers or benchmarks), installed with the prefix /usr into /staging, so that the paths the
# programs, units and compose name (/usr/bin, /usr/share/vaksin/facilities.csv) are the image's.
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      librdkafka-dev libavro-dev libpq-dev libcurl4-openssl-dev libjansson-dev libssl-dev \
      libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DVK_DEV=OFF -DVK_INTEGRATION=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/staging cmake --install /build

# Runtime: the shared libraries the programs link (and what those pull in), CA certificates for
# TLS to Kafka, PostgreSQL and the JKN/Dukcapil sources, curl for the healthchecks (GET /readyz),
# and one unprivileged user. No shell tools beyond the slim base, no compiler, no headers.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libavro23 libpq5 libcurl4 \
      libjansson4 libssl3 libmicrohttpd12 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin vaksin
COPY --from=build /staging/usr/bin/ /usr/bin/
COPY --from=build /staging/usr/share/vaksin/ /usr/share/vaksin/
USER 10001:10001
# Each service serves /metrics, /healthz and /readyz here when metrics.listen says so
# (compose: VAKSIN_METRICS_LISTEN=0.0.0.0:9101).
EXPOSE 9101
CMD ["vaksin-projector", "--help"]
