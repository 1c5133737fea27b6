#!/bin/sh
# quai-agent's entrypoint. The container shares the host's PID namespace (--pid=host), so its
# first process is not PID 1: it records its PID for the health check (which stops this
# container, never the host's init, after repeated failures), and tini runs as a subreaper.
echo $$ > /tmp/quai-agent.pid
exec tini -s -- "$@"
