# Release image of the `platform` binary. Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p platform

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/platform platform && mkdir -p /var/lib/platform && chown platform /var/lib/platform
COPY --from=build /src/target/release/platform /usr/local/bin/platform
USER platform
WORKDIR /var/lib/platform
ENV PLATFORM_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["platform"]
CMD ["serve"]
