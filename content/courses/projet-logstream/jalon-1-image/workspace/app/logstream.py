"""LogStream : l'API qui reçoit les événements de journal des applications.

Chaque événement (source, niveau, message) est rangé dans PostgreSQL ; Redis tient un compteur
par niveau. Sans base ni cache le service démarre quand même : /health dit ce qui manque.
"""
import logging
import os

import psycopg2
import redis
from flask import Flask, jsonify, request

LEVELS = ("debug", "info", "warning", "error", "critical")

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s logstream %(message)s")
log = logging.getLogger("logstream")

app = Flask(__name__)
_schema_ready = False


def database():
    # Chaîne vide : libpq lit PGHOST, PGPORT, PGUSER, PGPASSWORD et PGDATABASE, comme psql.
    return psycopg2.connect("", connect_timeout=3)


def cache():
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def ensure_schema(conn):
    global _schema_ready
    if _schema_ready:
        return
    with conn.cursor() as cur:
        cur.execute(
            """CREATE TABLE IF NOT EXISTS events (
                 id SERIAL PRIMARY KEY,
                 received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                 source TEXT NOT NULL,
                 level TEXT NOT NULL,
                 message TEXT NOT NULL)"""
        )
    conn.commit()
    _schema_ready = True


def database_status():
    try:
        with database() as conn:
            ensure_schema(conn)
        return "up"
    except Exception as exc:  # la base absente ne doit pas faire tomber la sonde
        log.warning("base injoignable : %s", exc)
        return "down"


def cache_status():
    try:
        client = cache()
        return "up" if client is not None and client.ping() else "down"
    except Exception as exc:
        log.warning("cache injoignable : %s", exc)
        return "down"


@app.after_request
def log_request(response):
    log.info("%s %s %s", request.method, request.path, response.status_code)
    return response


@app.get("/")
def index():
    return jsonify(service="logstream", version="1.0")


@app.get("/health")
def health():
    # Le processus répond : il est vivant. L'état de la base et du cache est donné à titre d'information.
    return jsonify(status="ok", database=database_status(), cache=cache_status())


@app.post("/api/events")
def add_event():
    data = request.get_json(silent=True) or {}
    source = str(data.get("source", "")).strip()
    level = str(data.get("level", "info")).strip().lower()
    message = str(data.get("message", "")).strip()
    if not source or not message or level not in LEVELS:
        return jsonify(error="champs attendus : source, message, level parmi " + ", ".join(LEVELS)), 422
    try:
        with database() as conn:
            ensure_schema(conn)
            with conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO events (source, level, message) VALUES (%s, %s, %s) RETURNING id",
                    (source, level, message),
                )
                event_id = cur.fetchone()[0]
    except psycopg2.Error as exc:
        log.error("enregistrement impossible : %s", exc)
        return jsonify(error="base indisponible"), 503
    try:
        client = cache()
        if client is not None:
            client.incr("events:" + level)
    except redis.RedisError as exc:
        log.warning("compteur non mis à jour : %s", exc)
    log.info("événement %s reçu de %s (%s) : %s", event_id, source, level, message)
    return jsonify(id=event_id, source=source, level=level, message=message), 201


@app.get("/api/events")
def list_events():
    limit = min(max(request.args.get("limit", 20, type=int), 1), 200)
    try:
        with database() as conn:
            ensure_schema(conn)
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id, received_at, source, level, message FROM events ORDER BY id DESC LIMIT %s",
                    (limit,),
                )
                rows = cur.fetchall()
    except psycopg2.Error as exc:
        log.error("lecture impossible : %s", exc)
        return jsonify(error="base indisponible"), 503
    return jsonify(
        [
            {"id": r[0], "received_at": r[1].isoformat(), "source": r[2], "level": r[3], "message": r[4]}
            for r in rows
        ]
    )


@app.get("/api/stats")
def stats():
    client = cache()
    if client is None:
        return jsonify(error="cache non configuré (REDIS_URL)"), 503
    try:
        return jsonify({level: int(client.get("events:" + level) or 0) for level in LEVELS})
    except redis.RedisError as exc:
        log.error("cache indisponible : %s", exc)
        return jsonify(error="cache indisponible"), 503


if __name__ == "__main__":
    # Serveur de développement de Flask : pratique sur un poste, pas en production.
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
