export { retrainHandler } from "./processor.js";
