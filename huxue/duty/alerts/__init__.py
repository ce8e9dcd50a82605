"""When a post is short: gap alerts raised by ``duty_watch``, the lead's shift page with its roll
call, and call-outs to members who can come now."""
