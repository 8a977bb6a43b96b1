export { calibrateHandler } from "./processor.js";
