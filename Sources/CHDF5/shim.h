#ifndef WB_CHDF5_SHIM_H
#define WB_CHDF5_SHIM_H
#include <hdf5.h>
/* HDF5 exposes these as macros that call H5open() or cast to hid_t; Swift cannot import
   them with the right type, so hand them over as inline functions. */
static inline hid_t    wb_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t    wb_h5t_native_float(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t    wb_h5t_native_int8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t    wb_h5t_native_uint8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t    wb_h5t_native_int16(void)  { return H5T_NATIVE_INT16; }
static inline hid_t    wb_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t    wb_h5t_native_int32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t    wb_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t    wb_h5t_native_int64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t    wb_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t    wb_h5t_c_s1(void)          { return H5T_C_S1; }
static inline hid_t    wb_h5t_std_ref_obj(void)   { return H5T_STD_REF_OBJ; }
static inline hid_t    wb_h5p_default(void)       { return H5P_DEFAULT; }
static inline hid_t    wb_h5p_dataset_create(void){ return H5P_DATASET_CREATE; }
static inline hid_t    wb_h5p_file_access(void)   { return H5P_FILE_ACCESS; }
static inline hid_t    wb_h5p_link_create(void)   { return H5P_LINK_CREATE; }
static inline hid_t    wb_h5s_all(void)           { return H5S_ALL; }
static inline hid_t    wb_h5e_default(void)       { return H5E_DEFAULT; }
static inline size_t   wb_h5t_variable(void)      { return H5T_VARIABLE; }
static inline unsigned wb_h5f_acc_trunc(void)     { return H5F_ACC_TRUNC; }
static inline unsigned wb_h5f_acc_excl(void)      { return H5F_ACC_EXCL; }
static inline unsigned wb_h5f_acc_rdonly(void)    { return H5F_ACC_RDONLY; }
static inline unsigned wb_h5f_acc_rdwr(void)      { return H5F_ACC_RDWR; }
/* Added for the HDF5 layer (Imaging/IO/HDF5*.swift). */
static inline hid_t    wb_h5t_ieee_f64le(void)    { return H5T_IEEE_F64LE; }
static inline hid_t    wb_h5t_ieee_f32le(void)    { return H5T_IEEE_F32LE; }
static inline hid_t    wb_h5t_ieee_f64be(void)    { return H5T_IEEE_F64BE; }
static inline hid_t    wb_h5t_std_i8le(void)      { return H5T_STD_I8LE; }
static inline hid_t    wb_h5t_std_i16le(void)     { return H5T_STD_I16LE; }
static inline hid_t    wb_h5t_std_i32le(void)     { return H5T_STD_I32LE; }
static inline hid_t    wb_h5t_std_i32be(void)     { return H5T_STD_I32BE; }
static inline hid_t    wb_h5t_std_i64le(void)     { return H5T_STD_I64LE; }
static inline hid_t    wb_h5t_std_u8le(void)      { return H5T_STD_U8LE; }
static inline hid_t    wb_h5t_std_u16le(void)     { return H5T_STD_U16LE; }
static inline hid_t    wb_h5t_std_u16be(void)     { return H5T_STD_U16BE; }
static inline hid_t    wb_h5t_std_u32le(void)     { return H5T_STD_U32LE; }
static inline hid_t    wb_h5t_std_u64le(void)     { return H5T_STD_U64LE; }
static inline hid_t    wb_h5p_attribute_create(void) { return H5P_ATTRIBUTE_CREATE; }
static inline unsigned wb_h5f_obj_all(void)       { return H5F_OBJ_ALL; }
static inline hid_t    wb_h5f_obj_all_files(void) { return (hid_t)H5F_OBJ_ALL; }
static inline int      wb_h5z_filter_deflate(void){ return H5Z_FILTER_DEFLATE; }
static inline int      wb_h5z_filter_shuffle(void){ return H5Z_FILTER_SHUFFLE; }
static inline int      wb_h5z_filter_fletcher32(void){ return H5Z_FILTER_FLETCHER32; }
static inline int      wb_h5z_filter_szip(void)   { return H5Z_FILTER_SZIP; }
static inline int      wb_h5z_filter_nbit(void)   { return H5Z_FILTER_NBIT; }
static inline int      wb_h5z_filter_scaleoffset(void){ return H5Z_FILTER_SCALEOFFSET; }
#endif
