#!/usr/bin/python3
"""Compares mlq's XGBoost JSON models with XGBoost's own conversion of the same legacy binaries.

    compare_with_xgboost.py VERSION_DIR NAME...

For each NAME, loads NAME.xgb with xgboost (the pre-1.0 binary), saves it as JSON with xgboost
itself, and compares that document with mlq's NAME.json field by field: every key, every integer,
every float as float32. Prints one JSON line {"NAME": "equal" | "<path>: <difference>"}; exit 1
when any differs. Feature names and types, which only mlq knows, are left out.
"""

import contextlib
import json
import os
import sys
import tempfile

import numpy as np
import xgboost as xgb


def differences(ours, theirs, path=""):
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or set(ours) != set(theirs):
            return f"{path}: keys {sorted(set(ours) ^ set(theirs)) if isinstance(ours, dict) else type(ours).__name__}"
        for key in theirs:
            found = differences(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return f"{path}: length {len(ours) if isinstance(ours, list) else ours} vs {len(theirs)}"
        if any(isinstance(v, float) for v in theirs + ours):
            a, b = np.array(ours, dtype=np.float32), np.array(theirs, dtype=np.float32)
            if not np.array_equal(a, b):
                i = int(np.flatnonzero(a != b)[0])
                return f"{path}[{i}]: {ours[i]!r} vs {theirs[i]!r}"
            return None
        for i, (a, b) in enumerate(zip(ours, theirs)):
            found = differences(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if path.endswith("base_score"):  # float text: compare the float32 values
        return None if np.float32(ours) == np.float32(theirs) else f"{path}: {ours} vs {theirs}"
    return None if ours == theirs else f"{path}: {ours!r} vs {theirs!r}"


def main(version_dir, names):
    out, ok = {}, True
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            with contextlib.redirect_stdout(sys.stderr):  # XGBoost prints its notices on stdout
                booster = xgb.Booster(model_file=os.path.join(version_dir, f"{name}.xgb"))
            theirs_path = os.path.join(tmp, f"{name}.json")
            booster.save_model(theirs_path)
            with open(theirs_path) as f:
                theirs = json.load(f)
            with open(os.path.join(version_dir, f"{name}.json")) as f:
                ours = json.load(f)
            for doc in (ours, theirs):
                doc["learner"]["feature_names"] = []
                doc["learner"]["feature_types"] = []
            found = differences(ours, theirs)
            out[name] = found or "equal"
            ok = ok and not found
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
