"""Collecteur de journaux de l'équipe LogStream : un récepteur syslog minimal.

Il écoute en UDP (port 5514 par défaut, variable PORT) et ajoute chaque message reçu, sur une
ligne, au fichier FICHIER (/var/log/logstream/tous.log par défaut) ; il le recopie aussi sur sa
sortie standard. Un message syslog par datagramme, sans autre format imposé : RFC 3164 et
RFC 5424 passent tels quels.
"""
import os
import socketserver

PORT = int(os.environ.get("PORT", "5514"))
FICHIER = os.environ.get("FICHIER", "/var/log/logstream/tous.log")


class Reception(socketserver.BaseRequestHandler):
    def handle(self):
        texte = self.request[0].decode("utf-8", "replace").strip().replace("\n", " ")
        if not texte:
            return
        with open(FICHIER, "a", encoding="utf-8") as journal:
            journal.write(texte + "\n")
        print(texte, flush=True)


if __name__ == "__main__":
    with socketserver.UDPServer(("0.0.0.0", PORT), Reception) as serveur:
        print(f"collecteur : écoute UDP {PORT}, écrit dans {FICHIER}", flush=True)
        serveur.serve_forever()
