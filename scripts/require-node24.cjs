// Every npm script runs on the Node 24 that the `node` package put in node_modules/.bin.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(`pipewright needs Node 24 (this is ${process.version}). Run npm install first: it installs Node 24 into node_modules/.bin, which npm scripts use.`);
  process.exit(1);
}
