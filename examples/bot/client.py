#!/usr/bin/python3
"""Reference bot-side client for mlq's prediction service (apps/serve), with a local parity check.

Reads the role files (active_model.json for the champion, pointers/v2_paper.json for the challenger),
asks the service for predictions, and -- with --parity -- loads the answered version's JSON models
with xgboost (sha256-verified, through parity.py), scores the served features locally and compares.

    /usr/bin/python3 examples/bot/client.py --url http://127.0.0.1:3100 --token "$MLQ_SERVE_TOKEN" \\
        --models "$MLQ_MODELS_DIR" --symbols BTC-USDT,ETH-USDT [--role champion|challenger] [--parity]

Prints one JSON object on stdout: the role files' versions, each symbol's answer (version, bar,
features, predictions, entry threshold, the tags to write on a paper trade), and with --parity the
largest |service - local| per model. Only the standard library is needed to call the service;
numpy and xgboost only for --parity.

Exit codes: 0 ok, 2 bad arguments, 3 a model file is missing or fails its sha256 check,
4 the service refused or could not be reached, 5 the parity check failed.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity  # noqa: E402  (the local-scoring reference client beside this file)

# A paper trade's model_arm: what mlq's A/B calls the champion's and the challenger's arms.
ARM_OF_ROLE = {"champion": "v1_backtest", "challenger": "v2_paper"}
PARITY_TOLERANCE = 1e-6


class ServiceError(Exception):
    def __init__(self, status, message):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class MlqClient:
    """GET/POST /v1/predict with a bearer token; raises ServiceError with the service's one-line reason."""

    def __init__(self, url, token=None, timeout=5.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, path, body=None):
        headers = {"accept": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return json.loads(res.read())
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get("error", e.reason)
            except ValueError:
                message = e.reason
            raise ServiceError(e.code, message) from None
        except urllib.error.URLError as e:
            raise ServiceError(0, f"cannot reach {self.url}: {e.reason}") from None

    def predict(self, symbol, role="champion"):
        """One symbol: version, bar, features, predictions, entry_threshold."""
        from urllib.parse import urlencode

        return self._call("/v1/predict?" + urlencode({"symbol": symbol, "role": role}))

    def predict_many(self, symbols, role="champion"):
        """Several symbols from one version: {version, results: [answer or {symbol, status, error}]}."""
        return self._call("/v1/predict", {"symbols": list(symbols), "role": role})


def role_files(models_dir):
    """The versions the role files name: champion (active_model.json) and challenger (pointers/v2_paper.json)."""
    out = {}
    for role, pointer in (("champion", None), ("challenger", "v2_paper")):
        try:
            version, _, _ = parity.resolve_version(models_dir, pointer=pointer)
        except parity.IntegrityError:
            version = None
        out[role] = version
    return out


def trade_tags(answer, role):
    """What to write on the paper trade this prediction opens (the promotion loop attributes trades by it)."""
    return {"model_arm": ARM_OF_ROLE[role], "model_version": answer["version"]}


def parity_check(answers, models_dir):
    """Scores every answered feature row locally with the answered version's JSON models; max |diff| per model."""
    by_version = {}
    for a in answers:
        by_version.setdefault(a["version"], []).append(a)
    worst = {}
    for version, group in by_version.items():
        # The version's manifest and files, sha256-verified (no pointer to check the manifest against here).
        manifest, boosters = parity.load_models(models_dir, version, group[0].get("manifest_sha256"), "json")
        names = manifest["feature_names"]
        rows = [[a["features"][n] for n in names] for a in group]
        local = parity.predict(boosters, names, rows, parity.MLQ_MISSING)
        for name, values in local.items():
            for a, v in zip(group, values):
                worst[name] = max(worst.get(name, 0.0), abs(a["predictions"][name] - v))
    return worst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=os.environ.get("MLQ_SERVE_URL", "http://127.0.0.1:3100"), help="the service (MLQ_SERVE_URL)")
    p.add_argument("--token", default=os.environ.get("MLQ_SERVE_TOKEN"), help="bearer token (MLQ_SERVE_TOKEN)")
    p.add_argument("--models", default=os.environ.get("MLQ_MODELS_DIR"), help="mlq's models directory, for the role files and --parity")
    p.add_argument("--symbols", required=True, help="comma-separated symbols")
    p.add_argument("--role", choices=tuple(ARM_OF_ROLE), default="champion")
    p.add_argument("--parity", action="store_true", help="score the served features locally with xgboost and compare")
    args = p.parse_args(argv)
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        print("client.py: --symbols lists no symbol", file=sys.stderr)
        return 2
    if (args.parity or args.models) and not (args.models and os.path.isdir(args.models)):
        print(f"client.py: models directory {args.models} does not exist (--models or MLQ_MODELS_DIR)", file=sys.stderr)
        return 2

    client = MlqClient(args.url, args.token)
    try:
        batch = client.predict_many(symbols, args.role)
    except ServiceError as e:
        print(f"client.py: {args.role} predictions refused: {e}", file=sys.stderr)
        return 4
    answers = [r for r in batch["results"] if "predictions" in r]
    report = {
        "role": args.role,
        "version": batch["version"],
        "role_files": role_files(args.models) if args.models else None,
        "results": [dict(r, tags=trade_tags(r, args.role)) if "predictions" in r else r for r in batch["results"]],
    }
    if report["role_files"] and report["role_files"][args.role] != batch["version"]:
        # The service follows the role history in the database; the files follow it right after a change.
        report["note"] = f"the role files name {report['role_files'][args.role]}, the service answered {batch['version']} (a swap in progress? ask again)"
    status = 0
    if args.parity:
        try:
            worst = parity_check(answers, args.models)
        except parity.IntegrityError as e:
            print(f"client.py: {e}", file=sys.stderr)
            return 3
        report["parity"] = {"rows": len(answers), "max_abs_diff": worst, "tolerance": PARITY_TOLERANCE}
        report["parity"]["ok"] = bool(answers) and all(d <= PARITY_TOLERANCE for d in worst.values())
        if not report["parity"]["ok"]:
            status = 5
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
