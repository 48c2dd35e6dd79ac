/* tools/commands.h — one entry point per stage, each in tools/cmd_<stage>.c.  They are
 * declared weak so the program links while a stage is being built; the table in mathmine.c
 * lists the commands that exist in this build. */
#ifndef MM_COMMANDS_H
#define MM_COMMANDS_H

#define MM_CMD(name) int cmd_##name(int argc, char **argv) __attribute__((weak))
MM_CMD(warc);
MM_CMD(extract);
MM_CMD(classify);
MM_CMD(select);
MM_CMD(iterate);
MM_CMD(dedup);
MM_CMD(decontaminate);
MM_CMD(apply);
MM_CMD(tokenizer);
MM_CMD(shard);
MM_CMD(pretrain);
MM_CMD(generate);
MM_CMD(sft);
MM_CMD(grpo);
MM_CMD(eval);
MM_CMD(rm);
MM_CMD(run);
MM_CMD(status);
MM_CMD(report);
#undef MM_CMD

#endif
