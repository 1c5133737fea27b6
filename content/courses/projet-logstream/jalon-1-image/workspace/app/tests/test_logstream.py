"""Tests sans base ni cache : python3 -m unittest discover tests"""
import unittest

from logstream import app


class LogStreamTest(unittest.TestCase):
    def setUp(self):
        self.client = app.test_client()

    def test_index(self):
        self.assertEqual(self.client.get("/").get_json()["service"], "logstream")

    def test_health_answers_without_dependencies(self):
        body = self.client.get("/health").get_json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["cache"], "down")

    def test_rejects_an_unknown_level(self):
        answer = self.client.post("/api/events", json={"source": "t", "level": "bof", "message": "m"})
        self.assertEqual(answer.status_code, 422)


if __name__ == "__main__":
    unittest.main()
