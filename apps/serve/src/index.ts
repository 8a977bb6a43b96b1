export { createServe, isLoopbackHost, type RunningServe, type Serve, type ServeOptions } from "./server.js";
