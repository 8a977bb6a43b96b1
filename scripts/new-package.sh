#!/usr/bin/env bash
# Scaffolds a workspace package: new-package.sh packages/foo "purpose" dep1 dep2 ...
set -euo pipefail
dir=$1; purpose=$2; shift 2
name="@mlq/$(basename "$dir")"
mkdir -p "$dir/src"
deps=""
for d in "$@"; do
  case $d in
    @mlq/*) v='"workspace:*"';;
    *) v='"catalog:"';;
  esac
  deps="$deps    \"$d\": $v,\n"
done
deps=$(printf "$deps" | sed '$ s/,$//')
cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "description": "$purpose",
  "exports": {
    ".": {
      "@mlq/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "lint": "eslint src",
    "test": "vitest run --root ../.. --project unit $dir"
  },
  "dependencies": {
$deps
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts"]
}
JSON
cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "outDir": "dist", "rootDir": "src", "customConditions": [], "noEmit": false },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts", "src/**/*.test-util.ts"]
}
JSON
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
