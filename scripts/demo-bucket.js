#!/usr/bin/env node
// Create the demo's S3 bucket on the local s3rver when it is missing (make demo). Usage:
//   node scripts/demo-bucket.js <bucket> [endpoint]
// goshift never creates buckets itself: a task's bucket must exist, as with any S3 tool.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { S3Client, CreateBucketCommand, HeadBucketCommand } = require('@aws-sdk/client-s3');

async function main() {
  const [bucket, endpoint = 'http://127.0.0.1:4569'] = process.argv.slice(2);
  if (!bucket) throw new Error('usage: node scripts/demo-bucket.js <bucket> [endpoint]');
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    console.log(`created bucket ${bucket} on ${endpoint}`);
  } finally {
    client.destroy();
  }
}

main().catch((err) => {
  console.error(`demo-bucket: ${err.message}`);
  process.exit(1);
});
