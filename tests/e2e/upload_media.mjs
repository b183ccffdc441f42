// apollo-upload-client's UploadHttpLink against a live server, driven by
// tests/e2e/test_media_upload.py: uploads an image file, posts it, then opens the
// thumbnail URL the API returned in an <img> on the GraphiQL page in headless Chromium.
// Prints one JSON line with what each step saw.
//
//   API_URL=... TOKEN=... IMAGE_PATH=... node upload_media.mjs
import { readFile } from "node:fs/promises";
import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const client = new ApolloClient({
  link: new UploadHttpLink({
    uri: env("API_URL"),
    headers: { Authorization: `Bearer ${env("TOKEN")}` },
  }),
  cache: new InMemoryCache(),
});

const bytes = await readFile(env("IMAGE_PATH"));
// What a browser's <input type="file"> gives: a File, name and type declared by the client.
const file = new File([bytes], "holiday.jpg", { type: "image/jpeg" });

const uploaded = await client.mutate({
  mutation: gql`
    mutation Upload($file: Upload!, $alt: String) {
      uploadMedia(file: $file, altText: $alt) {
        media { id url thumbnailUrl width height mimeType altText }
        errors { field code message }
      }
    }
  `,
  variables: { file, alt: "A beach" },
});
const media = uploaded.data.uploadMedia.media;

const posted = await client.mutate({
  mutation: gql`
    mutation Post($ids: [ID!]) {
      createPost(input: { body: "", mediaIds: $ids }) {
        post { id media { id url } }
        errors { field code }
      }
    }
  `,
  variables: { ids: [media.id] },
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let image = null;
try {
  const page = await browser.newPage();
  await page.goto(env("API_URL"), { waitUntil: "load" });
  const graphiqlTitle = await page.title();
  image = await page.evaluate(async (src) => {
    const img = document.createElement("img");
    img.src = src;
    document.body.appendChild(img);
    try {
      await img.decode();
    } catch (error) {
      return { loaded: false, error: String(error) };
    }
    return { loaded: true, width: img.naturalWidth, height: img.naturalHeight };
  }, media.thumbnailUrl);
  image.graphiqlTitle = graphiqlTitle;
} finally {
  await browser.close();
}

console.log(
  JSON.stringify({
    upload: uploaded.data.uploadMedia,
    post: posted.data.createPost,
    image,
  }),
);
