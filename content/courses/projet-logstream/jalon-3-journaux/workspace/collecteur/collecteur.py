"""Collecteur de journaux de l'équipe LogStream : un récepteur syslog minimal.

Il écoute en UDP (port 5514 par défaut, variable PORT) et ajoute chaque message reçu, sur une
ligne, au fichier FICHIER (/var/log/logstream/tous.log par défaut) ; il le recopie aussi sur sa
sortie standard. Un message syslog par datagramme, sans autre format imposé : RFC 3164 et
RFC 5424 passent tels quels.

Relais facultatif (jalon 4, avec accès au registre) : si ELASTICSEARCH_URL est définie
(http://elasticsearch:9200 par exemple), chaque message est aussi indexé dans Elasticsearch,
un document par message dans l'index INDEX (logstream par défaut). Un Elasticsearch absent ne
fait pas tomber le collecteur : le message reste dans le fichier et l'échec est signalé.
"""
import datetime
import json
import os
import socketserver
import urllib.request

PORT = int(os.environ.get("PORT", "5514"))
FICHIER = os.environ.get("FICHIER", "/var/log/logstream/tous.log")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "").rstrip("/")
INDEX = os.environ.get("INDEX", "logstream")


def relayer(texte):
    document = {
        "@timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "message": texte,
    }
    requete = urllib.request.Request(
        f"{ELASTICSEARCH_URL}/{INDEX}/_doc",
        data=json.dumps(document).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(requete, timeout=3) as reponse:
            reponse.read()
    except Exception as erreur:  # Elasticsearch pas encore prêt, ou injoignable
        print(f"collecteur : relais vers {ELASTICSEARCH_URL} impossible ({erreur})", flush=True)


class Reception(socketserver.BaseRequestHandler):
    def handle(self):
        texte = self.request[0].decode("utf-8", "replace").strip().replace("\n", " ")
        if not texte:
            return
        with open(FICHIER, "a", encoding="utf-8") as journal:
            journal.write(texte + "\n")
        print(texte, flush=True)
        if ELASTICSEARCH_URL:
            relayer(texte)


if __name__ == "__main__":
    with socketserver.UDPServer(("0.0.0.0", PORT), Reception) as serveur:
        relais = f", relaie vers {ELASTICSEARCH_URL}/{INDEX}" if ELASTICSEARCH_URL else ""
        print(f"collecteur : écoute UDP {PORT}, écrit dans {FICHIER}{relais}", flush=True)
        serveur.serve_forever()
