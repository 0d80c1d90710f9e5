from ninja import Router

router = Router(tags=["满意度测评"])
