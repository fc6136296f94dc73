/**
 * Record formats of file-like content, for plugins that store rows as NDJSON or CSV bytes (the file
 * plugin, the S3 plugin's file mode): codecs, line splitting, gzip, and rows into position-carrying
 * batches. Import from `src/sdk/formats`.
 */
export { CsvParser, csvRow, decodeCsvField, encodeCsvField, encodeCsvHeader, encodeCsvRecord } from './csv';
export type { CsvField, CsvRecord } from './csv';
export { encodingFor, extensionOf, fileFormats, fileParamsSchema, isRdbFormat } from './encoding';
export type { FileEncoding, FileFormat } from './encoding';
export { gunzipFrom, linesOf } from './lines';
export type { Line } from './lines';
export { decodeNdjsonLine, encodeNdjsonRow, toJsonValue } from './ndjson';
export { columnsOf, ndjsonRows, rowBatches } from './rows';
export type { ContentPosition, RowAt } from './rows';
