# polybox .NET $version workspace image, built by `polybox images build --versions $version`.
# One template for every version (src/polybox/sandbox/images/dotnet.Dockerfile); the files in
# docker/ are its renderings (`make dockerfiles`): edit the template, not them.
# A workspace Box runs it with a read-only root, /workspace its only writable volume, a sized tmpfs
# at /tmp, no network, no capabilities, as uid:gid 65534 (src/polybox/sandbox/docker.py).
FROM mcr.microsoft.com/dotnet/sdk:$sdk_tag
# tini: PID 1, reaping what the workspace's processes orphan. python3: the in-Box agent and the
# backend's exec launcher run `python3 -I -S` (standard library only). /nuget: where polybox
# mounts its package folder read-only.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends python3 tini \
    && rm -rf /var/lib/apt/lists/* \
    && install --directory --owner=65534 --group=65534 --mode=0755 /workspace \
    && install --directory --mode=0755 /nuget /etc/opt/NuGet/Config
# NuGet never reaches a network: /nuget is the only package source and the fallback folder.
COPY NuGet.Config /etc/opt/NuGet/Config/polybox.config
# No telemetry, first-run work or diagnostics port; the CLI's and NuGet's writable folders live on
# the tmpfs, not in /workspace.
# DOTNET_ROLL_FORWARD is never set: an app runs on the runtime of its own version or not at all.
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    DOTNET_GENERATE_ASPNET_CERTIFICATE=false \
    DOTNET_ADD_GLOBAL_TOOLS_TO_PATH=false \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_CLI_HOME=/tmp/dotnet-home \
    NUGET_PACKAGES=/tmp/nuget/packages \
    NUGET_HTTP_CACHE_PATH=/tmp/nuget/http-cache \
    HOME=/workspace
USER 65534:65534
WORKDIR /workspace
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python3", "-I", "-S", "-c", "import signal; signal.pause()"]
