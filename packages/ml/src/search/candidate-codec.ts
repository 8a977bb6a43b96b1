// CandidateData as one deterministic byte string (so its sha256 is a content address for hosts that share
// only Redis), and validation predictions as base64 for a job's return value (float32 when exact).
//
// Layout: "MLQC" | u32 LE format version | u32 LE header length | JSON header | zero padding to 4 bytes |
// float32 LE: X (rows × cols), each label in MODEL_NAMES order (rows), Xvalidation (validationRows × cols).
import { endianness } from "node:os";
import { InputDataError } from "@mlq/core";
import { MODEL_NAMES, type ModelName } from "../train/model-set.js";
import { checkCandidateData, type CandidateData } from "./candidate-trainer.js";

const MAGIC = Buffer.from("MLQC", "latin1");
export const CANDIDATE_FORMAT_VERSION = 1;
/** magic + version + header length. */
const PREAMBLE_BYTES = 12;
/** A header is a few numbers and names: anything longer is not ours. */
const MAX_HEADER_BYTES = 64 * 1024;
const LITTLE_ENDIAN = endianness() === "LE";

interface CandidateHeader {
  cols: number;
  rows: number;
  validationRows: number;
  models: string[];
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function writeFloat32s(out: Buffer, offset: number, values: Float32Array): number {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, offset + i * 4);
  }
  return offset + values.byteLength;
}

/** A float32 array on shared memory (the trainer's worker threads read it without a copy). */
function readFloat32s(bytes: Uint8Array, offset: number, length: number): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(Math.max(1, length) * 4), 0, length);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, 0, length * 4).set(bytes.subarray(offset, offset + length * 4));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
    for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

export function encodeCandidateData(data: CandidateData): Buffer {
  checkCandidateData(data);
  // Fixed key order: the same data must give the same bytes.
  const header: CandidateHeader = { cols: data.cols, rows: data.rows, validationRows: data.validationRows, models: [...MODEL_NAMES] };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const arraysStart = align4(PREAMBLE_BYTES + headerBytes.byteLength);
  const arrays = [data.X, ...MODEL_NAMES.map((name) => data.labels[name]), data.Xvalidation];
  const total = arraysStart + arrays.reduce((n, a) => n + a.byteLength, 0);

  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(CANDIDATE_FORMAT_VERSION, 4);
  out.writeUInt32LE(headerBytes.byteLength, 8);
  headerBytes.copy(out, PREAMBLE_BYTES);
  let offset = arraysStart;
  for (const a of arrays) offset = writeFloat32s(out, offset, a);
  return out;
}

function parseHeader(bytes: Uint8Array): { header: CandidateHeader; arraysStart: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength < PREAMBLE_BYTES || !buf.subarray(0, 4).equals(MAGIC))
    throw new InputDataError(`candidate data: not an encoded candidate matrix (${buf.byteLength} bytes, no "MLQC" magic)`);
  const version = buf.readUInt32LE(4);
  if (version !== CANDIDATE_FORMAT_VERSION)
    throw new InputDataError(`candidate data: format version ${version}, this build reads version ${CANDIDATE_FORMAT_VERSION}`);
  const headerLength = buf.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES || PREAMBLE_BYTES + headerLength > buf.byteLength)
    throw new InputDataError(`candidate data: truncated header (${headerLength} header bytes declared, ${buf.byteLength} bytes in all)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString("utf8", PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength));
  } catch {
    throw new InputDataError("candidate data: header is not valid JSON");
  }
  const h = parsed as Partial<CandidateHeader> | null;
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!h || !isCount(h.cols) || !isCount(h.rows) || !isCount(h.validationRows) || !Array.isArray(h.models))
    throw new InputDataError("candidate data: header lacks cols, rows, validationRows or models");
  if (h.models.join(",") !== MODEL_NAMES.join(","))
    throw new InputDataError(`candidate data: encoded for models ${h.models.join(",")}, this build has ${MODEL_NAMES.join(",")}`);
  return { header: h as CandidateHeader, arraysStart: align4(PREAMBLE_BYTES + headerLength) };
}

export function decodeCandidateData(bytes: Uint8Array): CandidateData {
  const { header, arraysStart } = parseHeader(bytes);
  const { cols, rows, validationRows } = header;
  const floats = rows * cols + rows * MODEL_NAMES.length + validationRows * cols;
  const expected = arraysStart + floats * 4;
  if (bytes.byteLength !== expected)
    throw new InputDataError(
      `candidate data: ${bytes.byteLength} bytes, ${expected} expected for ${rows} rows, ${validationRows} validation rows, ${cols} cols (${bytes.byteLength < expected ? "truncated" : "trailing bytes"})`,
    );

  let offset = arraysStart;
  const take = (length: number): Float32Array => {
    const a = readFloat32s(bytes, offset, length);
    offset += length * 4;
    return a;
  };
  const X = take(rows * cols);
  const labels = Object.fromEntries(MODEL_NAMES.map((name) => [name, take(rows)])) as Record<ModelName, Float32Array>;
  const Xvalidation = take(validationRows * cols);
  const data: CandidateData = { cols, rows, X, labels, validationRows, Xvalidation };
  checkCandidateData(data);
  return data;
}

/** Marks predictions sent as float32: half the bytes, used only when that loses nothing. */
const F32_TAG = "f32:";

/** True when every value is a float32 exactly (XGBoost's predictions are: it computes in float32); NaN goes as float64, payload and all. */
function float32Exact(p: Float64Array): boolean {
  for (let i = 0; i < p.length; i++) if (!Object.is(Math.fround(p[i]!), p[i]) || Number.isNaN(p[i])) return false;
  return true;
}

/**
 * Validation predictions for a job's return value, bit-exact: `f32:` + base64 of float32 LE bytes when
 * every value is a float32 (always, for XGBoost's), else base64 of the float64 LE bytes. A child's
 * return value stays in Redis as long as its parent job is kept, so the smaller form matters.
 */
export function encodePredictions(p: Float64Array): string {
  if (float32Exact(p)) {
    const f = Float32Array.from(p);
    if (LITTLE_ENDIAN) return F32_TAG + Buffer.from(f.buffer).toString("base64");
    const out = Buffer.alloc(f.byteLength);
    for (let i = 0; i < f.length; i++) out.writeFloatLE(f[i]!, i * 4);
    return F32_TAG + out.toString("base64");
  }
  if (LITTLE_ENDIAN) return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString("base64");
  const out = Buffer.alloc(p.byteLength);
  for (let i = 0; i < p.length; i++) out.writeDoubleLE(p[i]!, i * 8);
  return out.toString("base64");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodePredictions(s: string, expectedLength: number): Float64Array {
  const f32 = s.startsWith(F32_TAG);
  const text = f32 ? s.slice(F32_TAG.length) : s;
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new InputDataError(`predictions: not base64 (${s.length} characters)`);
  const bytes = Buffer.from(text, "base64");
  const width = f32 ? 4 : 8;
  if (bytes.byteLength !== expectedLength * width)
    throw new InputDataError(
      `predictions: ${bytes.byteLength} bytes, ${expectedLength} float${width * 8} values (${expectedLength * width} bytes) expected`,
    );
  const out = new Float64Array(expectedLength);
  if (f32) for (let i = 0; i < expectedLength; i++) out[i] = bytes.readFloatLE(i * 4);
  else if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < expectedLength; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}
