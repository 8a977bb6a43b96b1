export { abHandler } from "./processor.js";
