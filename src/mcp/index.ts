// Machina's MCP server: the tools, and the two ways to serve them (stdio and streamable HTTP).
export { createMcpServer, MCP_TOOL_NAMES, type CreateMcpServerParameters } from './server.ts';
export { createMcpHttpHandler, type CreateMcpHttpHandlerParameters } from './http.ts';
export { serveMcpStdio } from './stdio.ts';
export { toolError, toolResult, type ToolErrorBody } from './results.ts';
export { COMPUTE_TOOL_NAMES, computeMcpDeps, nodeComputeMcpDeps, type ComputeToolDeps } from './compute.ts';
export { DATA_TOOL_NAMES, dataMcpDeps, nodeDataMcpDeps, type DataToolDeps } from './data.ts';
