"""Files: uploads through the Azure SDK the client uses, downloads, listing by tag."""
import json
import os
import random

from azure.storage.blob import BlobServiceClient

from .support import BIG_FILE_BYTES, case, expect_status, read, sha256_of, unique, write


@case("files.upload_file/detail/download (small)", "Files.upload_file Files.detail Files.download")
def _(ctx):
    data = "id,note\n1,žluťoučký kůň\n".encode("utf-8")
    src = write(ctx.path("small.csv"), data)
    tag = unique("tag")
    file_id = ctx.c.files.upload_file(src, tags=[tag], is_permanent=True)
    detail = ctx.c.files.detail(file_id)
    assert detail["name"] == "small.csv", "name {!r}".format(detail["name"])
    assert detail["sizeBytes"] == len(data), "sizeBytes {} for {} bytes".format(detail["sizeBytes"], len(data))
    assert detail["tags"] == [tag], "tags {!r}".format(detail["tags"])
    assert detail["isSliced"] is False
    local = ctx.c.files.download(file_id, ctx.path(unique("dl")))
    assert read(local) == data, "downloaded bytes differ from the uploaded ones"


@case("files.upload_file/download (block upload over 64 MiB)", "Files.upload_file Files.download")
def _(ctx):
    src = write(ctx.path("big.bin"), random.Random(14).randbytes(BIG_FILE_BYTES))
    file_id = ctx.c.files.upload_file(src)
    assert ctx.c.files.detail(file_id)["sizeBytes"] == BIG_FILE_BYTES
    local = ctx.c.files.download(file_id, ctx.path(unique("dl")))
    size = os.path.getsize(local)
    assert size == BIG_FILE_BYTES, "downloaded {} bytes of {}".format(size, BIG_FILE_BYTES)
    assert sha256_of(local) == sha256_of(src), "downloaded bytes differ from the uploaded ones"


@case("files.prepare_upload(is_sliced=True) + SDK upload of parts and manifest + download", "Files.prepare_upload Files.detail Files.download")
def _(ctx):
    parts = [b"1,a\n2,b\n", b"3,c\n", "4,ř\n".encode("utf-8")]
    resource = ctx.c.files.prepare_upload("sliced.csv", is_sliced=True, tags=[unique("sliced")])
    assert resource["provider"] == "azure", "provider {!r}".format(resource.get("provider"))
    params = resource["absUploadParams"]
    service = BlobServiceClient.from_connection_string(params["absCredentials"]["SASConnectionString"])
    container = service.get_container_client(params["container"])
    entries = []
    for i, part in enumerate(parts):
        blob = "{}part{:04d}".format(params["blobName"], i)
        container.upload_blob(blob, part)
        entries.append({"url": "azure://{}.blob.core.windows.net/{}/{}".format(
            params["accountName"], params["container"], blob)})
    container.upload_blob(params["blobName"] + "manifest", json.dumps({"entries": entries}).encode("utf-8"))
    detail = ctx.c.files.detail(resource["id"])
    assert detail["isSliced"] is True, "isSliced {!r}".format(detail.get("isSliced"))
    local = ctx.c.files.download(resource["id"], ctx.path(unique("dl")))
    assert read(local) == b"".join(parts), "the merged slices differ from the uploaded parts"


@case("files.list(tags=[...]) returns only tagged files", "Files.list")
def _(ctx):
    tag = unique("only")
    tagged = ctx.c.files.upload_file(write(ctx.path("tagged.txt"), b"tagged\n"), tags=[tag, "other"])
    ctx.c.files.upload_file(write(ctx.path("untagged.txt"), b"untagged\n"), tags=["other"])
    listed = ctx.c.files.list(tags=[tag])
    assert [f["id"] for f in listed] == [tagged], "files.list(tags=[{!r}]) gave {}".format(
        tag, [(f["id"], f.get("tags")) for f in listed])
    assert len(ctx.c.files.list(limit=1)) == 1, "files.list(limit=1) did not limit"


@case("files.delete", "Files.delete")
def _(ctx):
    file_id = ctx.c.files.upload_file(write(ctx.path("gone.txt"), b"gone\n"))
    ctx.c.files.delete(file_id)
    expect_status(404, ctx.c.files.detail, file_id)
