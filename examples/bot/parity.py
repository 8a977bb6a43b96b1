#!/usr/bin/python3
"""Reference bot-side client for mlq's models: score feature rows locally with XGBoost.

Resolves a model version from mlq's models directory (the champion named by active_model.json,
a pointer such as v2_paper, or a version id), proves every file it reads against the sha256 in
manifest.json, loads the five boosters with the xgboost Python package (1.0 or later) and prints
their predictions for the given rows as JSON on stdout.

    /usr/bin/python3 examples/bot/parity.py --models .mlq/demo/models --rows rows.json
    echo '[[0.001, ...11 values...]]' | /usr/bin/python3 examples/bot/parity.py --models DIR --pointer v2_paper

Rows are a JSON list; each row is either a list of the 11 feature values in the manifest's
feature_names order, or an object keyed by feature name. `--format binary` loads the legacy
.xgb files instead of the JSON ones (XGBoost warns that the format is deprecated).

mlq's trainer (ml-xgboost, XGBoost 0.7) builds every matrix with missing = -1: a feature that is
exactly -1.0 is treated as missing, in training and in mlq's own predictions. `--missing` defaults
to -1 so that the predictions here are mlq's; a bot must do the same (DMatrix(..., missing=-1.0)).

Exit codes: 0 ok, 2 bad arguments or input, 3 a model file is missing or fails its sha256 check.
"""

import argparse
import contextlib
import hashlib
import json
import os
import sys

MLQ_MISSING = -1.0
POINTERS = ("candidate", "v2_paper", "v2_paper_prev", "v1_backtest")


class IntegrityError(Exception):
    """A file that must match manifest.json (or a pointer's manifest sha256) does not."""


def read_json(path, what):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise IntegrityError(f"{what} {path} is missing") from None
    try:
        return json.loads(raw), raw
    except ValueError:
        raise IntegrityError(f"{what} {path} is not valid JSON (truncated or corrupt)") from None


def resolve_version(models_dir, pointer=None, version=None):
    """(version, expected manifest sha256 or None, where it came from)."""
    if version is not None:
        return version, None, f"version {version}"
    if pointer is not None:
        doc, _ = read_json(os.path.join(models_dir, "pointers", f"{pointer}.json"), "pointer")
        return doc["version"], doc.get("manifestSha256"), f"pointer {pointer}"
    # The champion: active_model.json; before the first swap it names only an arm, whose pointer
    # then names the version.
    path = os.path.join(models_dir, "active_model.json")
    active = read_json(path, "active model file")[0] if os.path.exists(path) else {"arm": "v1_backtest"}
    if active.get("version"):
        return active["version"], active.get("manifest_sha256"), "active_model.json"
    arm = active.get("arm") or "v1_backtest"
    doc, _ = read_json(os.path.join(models_dir, "pointers", f"{arm}.json"), "pointer")
    return doc["version"], doc.get("manifestSha256"), f"pointer {arm} (active arm)"


def verified_bytes(version_dir, entry, what):
    path = os.path.join(version_dir, entry["file"])
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise IntegrityError(f"{what}: file {path} is missing") from None
    if len(raw) != entry["bytes"] or hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        raise IntegrityError(f"{what}: file {path} fails its sha256 check")
    return raw


def load_models(models_dir, version, expected_manifest_sha256, fmt):
    import xgboost as xgb  # imported here so --help works without it

    version_dir = os.path.join(models_dir, version)
    manifest, raw = read_json(os.path.join(version_dir, "manifest.json"), "manifest")
    digest = hashlib.sha256(raw).hexdigest()
    if expected_manifest_sha256 and digest != expected_manifest_sha256:
        raise IntegrityError(f"manifest of version {version} was modified: sha256 {digest}, expected {expected_manifest_sha256}")
    boosters = {}
    for name, entry in manifest["models"].items():
        if fmt == "json":
            if "json" not in entry:
                raise IntegrityError(f"version {version} predates XGBoost JSON models: model {name} has only {entry['file']} (use --format binary)")
            entry = entry["json"]
        raw = verified_bytes(version_dir, entry, f"model {name}")
        booster = xgb.Booster()
        # XGBoost prints its notices (such as the legacy-format warning) on stdout: keep stdout JSON.
        with contextlib.redirect_stdout(sys.stderr):
            booster.load_model(bytearray(raw))  # the verified bytes themselves, not the path again
        boosters[name] = booster
    return manifest, boosters


def read_rows(source, feature_names):
    try:
        rows = json.load(sys.stdin if source == "-" else open(source))
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read rows from {source}: {e}") from None
    if isinstance(rows, dict) and "rows" in rows:
        rows = rows["rows"]
    if not isinstance(rows, list):
        raise ValueError("rows must be a JSON list of rows")
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            missing = [n for n in feature_names if n not in row]
            if missing:
                raise ValueError(f"row {i} lacks feature(s) {', '.join(missing)}")
            row = [row[n] for n in feature_names]
        if not isinstance(row, list) or len(row) != len(feature_names):
            raise ValueError(f"row {i} must have {len(feature_names)} values ({', '.join(feature_names)})")
        out.append([float("nan") if v is None else float(v) for v in row])
    return out


def predict(boosters, feature_names, rows, missing):
    import numpy as np
    import xgboost as xgb

    X = np.array(rows, dtype=np.float32).reshape(len(rows), len(feature_names))
    out = {}
    for name, booster in boosters.items():
        # JSON models carry the feature names, and XGBoost then checks the matrix's names against them.
        names = feature_names if booster.feature_names else None
        dmatrix = xgb.DMatrix(X, missing=missing, feature_names=names)
        with contextlib.redirect_stdout(sys.stderr):
            out[name] = [float(v) for v in booster.predict(dmatrix)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", required=True, help="mlq's models directory (MLQ_MODELS_DIR)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--pointer", choices=POINTERS, help="a pointer instead of the champion (active_model.json)")
    which.add_argument("--version", help="a version id instead of the champion")
    parser.add_argument("--rows", default="-", help="JSON file of feature rows, - for stdin (default)")
    parser.add_argument("--format", choices=("json", "binary"), default="json", help="which model files to load (default json)")
    parser.add_argument("--missing", type=float, default=MLQ_MISSING, help="value treated as missing besides NaN (default -1, as mlq trains)")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.models):
        print(f"parity.py: models directory {args.models} does not exist", file=sys.stderr)
        return 2
    try:
        version, expected, source = resolve_version(args.models, args.pointer, args.version)
        manifest, boosters = load_models(args.models, version, expected, args.format)
    except IntegrityError as e:
        print(f"parity.py: {e}", file=sys.stderr)
        return 3
    except (KeyError, TypeError) as e:
        print(f"parity.py: malformed pointer or manifest in {args.models}: {e}", file=sys.stderr)
        return 3
    feature_names = manifest["feature_names"]
    try:
        rows = read_rows(args.rows, feature_names)
    except ValueError as e:
        print(f"parity.py: {e}", file=sys.stderr)
        return 2
    import xgboost as xgb

    result = {
        "version": version,
        "source": source,
        "format": args.format,
        "xgboost": xgb.__version__,
        "missing": args.missing,
        "feature_names": feature_names,
        "predictions": predict(boosters, feature_names, rows, args.missing),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
