// Calls a wd-tagger Space with the official @gradio/client, as a browser/Node user would,
// and prints the returned `data` (the 4 outputs) as one JSON line on stdout.
//
//   node client.mjs URL IMAGEPATH [MODEL] [GENERAL_THRESH] [CHARACTER_THRESH]
//
// Thresholds default to 0.05 and MCut is off (what tagcon itself sends). HF_TOKEN, if set,
// is passed as the client's `token`. Diagnostics go to stderr; exit 1 on any failure.
import { Client } from "@gradio/client";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";

const MIME = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".webp": "image/webp", ".gif": "image/gif" };

async function main(argv) {
	const [url, image_path, model = "SmilingWolf/wd-swinv2-tagger-v3", gthr = "0.05",
		cthr = "0.05"] = argv;
	if (!url || !image_path) {
		process.stderr.write("usage: node client.mjs URL IMAGEPATH [MODEL] [GTHR] [CTHR]\n");
		return 2;
	}
	const bytes = await readFile(image_path);
	const blob = new Blob([bytes], {
		type: MIME[extname(image_path).toLowerCase()] || "application/octet-stream"
	});
	const options = process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {};
	const client = await Client.connect(url, options);
	const api = await client.view_api();
	const endpoint = api?.named_endpoints?.["/predict"];
	if (!endpoint || endpoint.parameters.length !== 6 || endpoint.returns.length !== 4) {
		throw new Error("view_api: /predict is not the wd-tagger endpoint: " +
			JSON.stringify(api?.named_endpoints && Object.keys(api.named_endpoints)));
	}
	process.stderr.write("view_api /predict parameters: " +
		endpoint.parameters.map((p) => `${p.parameter_name}:${p.type}`).join(", ") + "\n");
	const result = await client.predict("/predict", {
		image: blob,
		model_repo: model,
		general_thresh: Number(gthr),
		general_mcut_enabled: false,
		character_thresh: Number(cthr),
		character_mcut_enabled: false
	});
	process.stdout.write(JSON.stringify(result.data) + "\n");
	client.close();
	return 0;
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(err) => {
		process.stderr.write(`client.mjs: ${err && err.message ? err.message : String(err)}\n`);
		process.exit(1);
	}
);
