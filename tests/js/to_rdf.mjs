// jsonld.js toRDF of documents at URLs, with its DEFAULT document loader (it fetches the document
// and every context it names over HTTP, as any client would). Prints N-Quads for each URL in turn;
// exits 1 with the error on stderr if one fails. Usage: node to_rdf.mjs URL...
import jsonld from "jsonld";

for (const url of process.argv.slice(2)) {
  try {
    const nquads = await jsonld.toRDF(url, { format: "application/n-quads" });
    process.stdout.write(nquads);
  } catch (error) {
    process.stderr.write(`${url}: ${error.name}: ${error.message}\n`);
    if (error.details) process.stderr.write(`${JSON.stringify(error.details).slice(0, 2000)}\n`);
    process.exit(1);
  }
}
