// Reports of simulation runs: SVG charts, CSV, self-contained HTML, and the run store the CLI writes and the node reads.
export { escapeXml, flagRanges, formatTick, lineChart, niceTicks, runCharts, sweepChart, type RunCharts } from './charts.ts';
export { agentsCsv, csvField, eventsCsv, parseCsv, parseSeriesCsv, runsCsv, seriesCsv, sweepCsv, toCsv } from './csv.ts';
export { formatValue, runReportHtml, sweepReportHtml } from './html.ts';
export { METRICS, sortedPoints, summaryOf, type MetricInfo, type MetricKey, type MetricSummaries } from './labels.ts';
export {
  isRunId,
  listEntries,
  listRuns,
  newRunId,
  readRun,
  readRunFile,
  runEntry,
  runFiles,
  runsDir,
  saveRun,
  sweepFiles,
  writeRunFiles,
  type RunCache,
  type RunEntry,
  type RunFiles,
  type RunInfo,
  type RunKind,
  type StoredRun,
  type StoredRunSummary,
  type StoredSweepSummary,
} from './store.ts';
