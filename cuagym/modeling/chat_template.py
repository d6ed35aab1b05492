"""The Qwen-style chat template of the tiny policy's tokenizer.

Layout (the one Qwen chat / vision-language models are trained on):

* every turn is ``<|im_start|>ROLE\\n...<|im_end|>\\n``;
* an image part renders as ``<|vision_start|><|image_pad|><|vision_end|>`` (the processor
  then repeats ``<|image_pad|>`` once per merged vision patch);
* ``tools`` go into the system turn, one JSON schema per line inside ``<tools></tools>``;
* assistant tool calls render as ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>``,
  several calls separated by a newline, after the (optional) text content;
* ``reasoning_content`` of an assistant turn renders as ``<think>\\n...\\n</think>\\n\\n``;
* consecutive ``tool`` messages form one user turn, each wrapped in ``<tool_response>``;
* ``add_generation_prompt`` appends ``<|im_start|>assistant\\n``.

Every literal is emitted from a Jinja string expression and every tag trims whitespace,
so the template's own indentation never leaks into the prompt.
"""

TOOLS_PREAMBLE = (
    "# Tools\\n\\nYou may call the functions below. Their JSON signatures are listed inside "
    "<tools></tools>:\\n<tools>"
)
TOOLS_POSTAMBLE = (
    "\\n</tools>\\n\\nTo call a function, reply with a JSON object holding its name and arguments "
    "inside <tool_call></tool_call> tags:\\n<tool_call>\\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call>'
)

CHAT_TEMPLATE = (
    """
{%- macro render_content(content) -%}
    {%- if content is string -%}
        {{- content -}}
    {%- elif content is iterable and content is not mapping -%}
        {%- for part in content -%}
            {%- if part is string -%}
                {{- part -}}
            {%- elif part.type == 'text' -%}
                {{- part.text -}}
            {%- elif part.type in ('image', 'image_url') or 'image' in part or 'image_url' in part -%}
                {{- '<|vision_start|><|image_pad|><|vision_end|>' -}}
            {%- elif part.type == 'video' or 'video' in part -%}
                {{- '<|vision_start|><|video_pad|><|vision_end|>' -}}
            {%- else -%}
                {{- raise_exception('unsupported content part: ' ~ part) -}}
            {%- endif -%}
        {%- endfor -%}
    {%- elif content is not none -%}
        {{- raise_exception('message content must be a string or a list of parts') -}}
    {%- endif -%}
{%- endmacro -%}
{%- set ns = namespace(first=0) -%}
{%- if messages and messages[0].role == 'system' -%}
    {%- set ns.first = 1 -%}
{%- endif -%}
{%- if tools -%}
    {{- '<|im_start|>system\\n' -}}
    {%- if ns.first -%}
        {{- render_content(messages[0].content) + '\\n\\n' -}}
    {%- endif -%}
    {{- '"""
    + TOOLS_PREAMBLE
    + """' -}}
    {%- for tool in tools -%}
        {{- '\\n' + (tool | tojson) -}}
    {%- endfor -%}
    {{- '"""
    + TOOLS_POSTAMBLE
    + """<|im_end|>\\n' -}}
{%- elif ns.first -%}
    {{- '<|im_start|>system\\n' + render_content(messages[0].content) + '<|im_end|>\\n' -}}
{%- endif -%}
{%- for message in messages[ns.first:] -%}
    {%- if message.role in ('user', 'system') -%}
        {{- '<|im_start|>' + message.role + '\\n' + render_content(message.content) + '<|im_end|>\\n' -}}
    {%- elif message.role == 'assistant' -%}
        {{- '<|im_start|>assistant\\n' -}}
        {%- if message.reasoning_content -%}
            {{- '<think>\\n' + message.reasoning_content + '\\n</think>\\n\\n' -}}
        {%- endif -%}
        {%- set text = render_content(message.content) -%}
        {{- text -}}
        {%- for call in message.tool_calls or [] -%}
            {%- set fn = call.function if call.function is defined else call -%}
            {%- if text or not loop.first -%}
                {{- '\\n' -}}
            {%- endif -%}
            {{- '<tool_call>\\n{"name": ' + (fn.name | tojson) + ', "arguments": ' -}}
            {%- if fn.arguments is string -%}
                {{- fn.arguments -}}
            {%- else -%}
                {{- fn.arguments | tojson -}}
            {%- endif -%}
            {{- '}\\n</tool_call>' -}}
        {%- endfor -%}
        {{- '<|im_end|>\\n' -}}
    {%- elif message.role == 'tool' -%}
        {%- if loop.first or loop.previtem.role != 'tool' -%}
            {{- '<|im_start|>user' -}}
        {%- endif -%}
        {{- '\\n<tool_response>\\n' + render_content(message.content) + '\\n</tool_response>' -}}
        {%- if loop.last or loop.nextitem.role != 'tool' -%}
            {{- '<|im_end|>\\n' -}}
        {%- endif -%}
    {%- else -%}
        {{- raise_exception('unknown chat role ' ~ message.role ~ ': expected system, user, assistant or tool') -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\\n' -}}
{%- endif -%}
"""
).strip()
