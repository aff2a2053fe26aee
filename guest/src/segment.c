/* fs/gs segment overrides with TLS descriptors from set_thread_area(243):
 * loads, stores, ALU and string operands, moffs forms, lea (which ignores
 * segments), push/pop and mov of segment registers, and updating a
 * descriptor.  Kept apart so it fails alone where set_thread_area is
 * missing. */
#include "rt.h"

struct user_desc {
	u32 entry_number, base_addr, limit, flags;
};
/* seg_32bit | limit_in_pages | useable */
#define UD_FLAGS 0x51

static i32 set_thread_area(struct user_desc *d)
{
	i32 r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(243), "b"(d) : "memory");
	return r;
}

u32 tls1[16] = {0x11110000, 0x11110001, 0x11110002, 0x11110003,
		0x11110004, 0x11110005, 0x11110006, 0x11110007};
u32 tls2[16] = {0x22220000, 0x22220001, 0x22220002, 0x22220003,
		0x22220004, 0x22220005, 0x22220006, 0x22220007,
		0x22220008, 0x22220009, 0x2222000a, 0x2222000b};
u8 dst[16];

T(get_sregs, "movw %cs, %ax; movw %ds, %bx; movw %es, %cx; movw %ss, %dx;"
	     "movw %fs, %si; movw %gs, %di")
T(load_gs, "movw %ax, %gs")
T(load_fs, "movl %eax, %fs") /* 32-bit operand form of mov to sreg */
T(gs_read, "movl %gs:0, %eax; movl %gs:4, %ebx; movw %gs:6, %cx; movb %gs:9, %dl")
T(gs_moffs, "movl %gs:0xc, %eax; movb %gs:0x4, %bl; movl %eax, %gs:0x20")
T(gs_index, "movl $3, %ecx; movl %gs:(,%ecx,4), %eax; movl $8, %esi;"
	    "movl %gs:4(%esi,%ecx,2), %ebx")
T(gs_write, "movl $0xabcdef01, %gs:8; movw $0x7777, %gs:0x12; movb $0x55, %gs:0x17")
T(gs_alu, "movl $1, %eax; addl %gs:4, %eax; subl %eax, %gs:0x1c; incl %gs:0x18")
T(gs_lea, ".byte 0x65; leal 8, %eax") /* lea ignores the override */
T(gs_string, "movl $4, %esi; movl $dst, %edi; movl $8, %ecx; gs rep movsb")
T(gs_lods, "movl $0x10, %esi; gs lodsl")
T(gs_cmpxchg, "movl %gs:0x28, %eax; movl $0x5a5a, %ecx; lock cmpxchgl %ecx, %gs:0x28")
T(fs_read, "movl %fs:0, %eax; movl %fs:0x2c, %ebx")
T(push_gs, "pushl %gs; popl %eax; pushw %fs; popw %bx")
T(pop_gs, "pushl %gs; movw $0, %ax; movw %ax, %gs; popl %gs; movw %gs, %cx;"
	  "movl %gs:0, %edx")
T(ds_gs, "xorl %eax, %eax; movw %ds, %ax; movw %ax, %gs; movl %gs:tls1+4, %ebx")

static void sregs(void)
{
	get_sregs();
	ps("cs=");
	px(R.eax & 0xffff, 4);
	ps(" ds=");
	px(R.ebx & 0xffff, 4);
	ps(" es=");
	px(R.ecx & 0xffff, 4);
	ps(" ss=");
	px(R.edx & 0xffff, 4);
	ps(" fs=");
	px(R.esi & 0xffff, 4);
	ps(" gs=");
	px(R.edi & 0xffff, 4);
	nl();
}

static void regs(const char *nm)
{
	ps(nm);
	ps(" eax=");
	px(R.eax, 8);
	ps(" ebx=");
	px(R.ebx, 8);
	ps(" ecx=");
	px(R.ecx, 8);
	ps(" edx=");
	px(R.edx, 8);
	pop();
}

int main(void)
{
	ps("initial: ");
	sregs();

	struct user_desc d1 = {-1, (u32)tls1, 0xfffff, UD_FLAGS};
	i32 r = set_thread_area(&d1);
	ps("set_thread_area -> ");
	pd(r);
	ps(" entry=");
	pd(d1.entry_number);
	nl();
	u32 gs = d1.entry_number * 8 + 3;
	struct user_desc d2 = {-1, (u32)tls2, 0xfffff, UD_FLAGS};
	r = set_thread_area(&d2);
	ps("set_thread_area -> ");
	pd(r);
	ps(" entry=");
	pd(d2.entry_number);
	nl();
	u32 fs = d2.entry_number * 8 + 3;
	flush();

	R.eax = gs;
	load_gs();
	R.eax = 0xabcd0000 | fs;
	load_fs();
	ps("loaded: ");
	sregs();

	R.ecx = R.edx = 0xcccccccc;
	gs_read();
	regs("gs read");
	gs_moffs();
	regs("gs moffs");
	ps("tls1[8]=");
	px(tls1[8], 8);
	nl();
	gs_index();
	regs("gs index");
	gs_write();
	ps("gs write: tls1[2]=");
	px(tls1[2], 8);
	ps(" tls1[4]=");
	px(tls1[4], 8);
	ps(" tls1[5]=");
	px(tls1[5], 8);
	pop();
	gs_alu();
	ps("gs alu: eax=");
	px(R.eax, 8);
	ps(" tls1[6]=");
	px(tls1[6], 8);
	ps(" tls1[7]=");
	px(tls1[7], 8);
	pfl(R.fl);
	pop();
	gs_lea();
	regs("gs lea");
	gs_string();
	ps("gs rep movsb: dst=");
	pmem(dst, 8);
	ps(" esi=");
	px(R.esi, 8);
	pop();
	gs_lods();
	regs("gs lodsl");
	tls1[10] = 0x5a5a0000;
	gs_cmpxchg();
	ps("gs lock cmpxchg: tls1[10]=");
	px(tls1[10], 8);
	pfl(R.fl);
	pop();
	fs_read();
	regs("fs read");
	push_gs();
	ps("push gs: ");
	px(R.eax & 0xffff, 4);
	ps(" pushw fs: ");
	px(R.ebx & 0xffff, 4);
	pop();
	pop_gs();
	ps("pop gs: gs=");
	px(R.ecx & 0xffff, 4);
	ps(" gs:0=");
	px(R.edx, 8);
	pop();

	/* move the descriptor: a reload picks up the new base */
	d1.base_addr = (u32)&tls2[4];
	r = set_thread_area(&d1);
	ps("update entry -> ");
	pd(r);
	nl();
	R.eax = gs;
	load_gs();
	gs_read();
	regs("gs read after update");

	/* gs = ds: flat again */
	ds_gs();
	regs("gs=ds");
	return 0;
}
