#!/bin/sh
# Prépare l'incident de la fin de la leçon « Isolation et diagnostic ».
# Relancer ce script remet l'incident dans son état de départ.
set -e

docker rm -f vitrine stock client >/dev/null 2>&1 || true
docker network rm atelier-net >/dev/null 2>&1 || true

docker network create atelier-net >/dev/null
docker run -d --name vitrine --network atelier-net nginx >/dev/null
docker run -d --name stock --network atelier-net busybox \
  sh -c 'mkdir -p /srv && echo "stock : 42 caisses en entrepot" > /srv/index.html && exec httpd -f -p 8088 -h /srv' >/dev/null
docker run -d --name client nicolaka/netshoot sleep infinity >/dev/null

echo "Incident en place."
echo "Symptome signale : depuis le conteneur client, 'curl http://vitrine' ne repond pas."
